// pulumi-resource-aws for this project's platform tests: the upstream Terraform AWS provider served
// through Pulumi's Terraform bridge, mapped with the type tokens and property names of @pulumi/aws
// for the resources the aws platform creates. It is not pulumi-aws: none of pulumi-aws's patches or
// tag defaults, and only these resources (see scripts/setup-platforms.sh and the README).
package main

import (
	"context"
	"fmt"
	"os"

	tfaws "github.com/hashicorp/terraform-provider-aws/exported"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// version is stamped by the build: the @pulumi/aws version whose plugin this binary stands in for.
var version = "0.0.0-dev"

func main() {
	upstream, err := tfaws.SDKv2Provider(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "terraform-provider-aws: %v\n", err)
		os.Exit(1)
	}
	tfbridge.Main("aws", version, providerInfo(shimv2.NewProvider(upstream)), nil)
}
