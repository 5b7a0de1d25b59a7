// Trimmed for nats-global's platform tests (scripts/setup-platforms.sh lays it over the upstream
// module) to the services its aws platform uses.

package sdkv2

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-provider-aws/internal/conns"
	"github.com/hashicorp/terraform-provider-aws/internal/service/dlm"
	"github.com/hashicorp/terraform-provider-aws/internal/service/ec2"
	"github.com/hashicorp/terraform-provider-aws/internal/service/iam"
	"github.com/hashicorp/terraform-provider-aws/internal/service/meta"
	"github.com/hashicorp/terraform-provider-aws/internal/service/route53"
	"github.com/hashicorp/terraform-provider-aws/internal/service/secretsmanager"
	"github.com/hashicorp/terraform-provider-aws/internal/service/sts"
)

func servicePackages(ctx context.Context) []conns.ServicePackage {
	v := []conns.ServicePackage{
		dlm.ServicePackage(ctx),
		ec2.ServicePackage(ctx),
		iam.ServicePackage(ctx),
		meta.ServicePackage(ctx),
		route53.ServicePackage(ctx),
		secretsmanager.ServicePackage(ctx),
		sts.ServicePackage(ctx),
	}

	return slices.Clone(v)
}
