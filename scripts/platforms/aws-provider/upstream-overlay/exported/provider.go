// Package exported gives code outside this module the SDKv2 provider, which upstream keeps internal.
package exported

import (
	"context"

	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/hashicorp/terraform-provider-aws/internal/provider/sdkv2"
)

// SDKv2Provider is the upstream provider's SDKv2 half, with the service packages this build keeps.
func SDKv2Provider(ctx context.Context) (*schema.Provider, error) { return sdkv2.NewProvider(ctx) }
