// Trimmed for nats-global's platform tests (scripts/setup-platforms.sh lays it over the upstream
// module) to the clients of the services it compiles (dlm, ec2, iam, route53, secretsmanager, sts and what they call): the generated file names every AWS SDK
// service, and compiling those was most of the build.

package conns

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/dlm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-provider-aws/internal/errs"
	"github.com/hashicorp/terraform-provider-aws/names"
)

func (c *AWSClient) AccountClient(ctx context.Context) *account.Client {
	return errs.Must(client[*account.Client](ctx, c, names.Account, make(map[string]any)))
}

func (c *AWSClient) DLMClient(ctx context.Context) *dlm.Client {
	return errs.Must(client[*dlm.Client](ctx, c, names.DLM, make(map[string]any)))
}

func (c *AWSClient) EC2Client(ctx context.Context) *ec2.Client {
	return errs.Must(client[*ec2.Client](ctx, c, names.EC2, make(map[string]any)))
}

func (c *AWSClient) IAMClient(ctx context.Context) *iam.Client {
	return errs.Must(client[*iam.Client](ctx, c, names.IAM, make(map[string]any)))
}

func (c *AWSClient) OrganizationsClient(ctx context.Context) *organizations.Client {
	return errs.Must(client[*organizations.Client](ctx, c, names.Organizations, make(map[string]any)))
}

func (c *AWSClient) Route53Client(ctx context.Context) *route53.Client {
	return errs.Must(client[*route53.Client](ctx, c, names.Route53, make(map[string]any)))
}

func (c *AWSClient) S3Client(ctx context.Context) *s3.Client {
	return errs.Must(client[*s3.Client](ctx, c, names.S3, make(map[string]any)))
}

func (c *AWSClient) SecretsManagerClient(ctx context.Context) *secretsmanager.Client {
	return errs.Must(client[*secretsmanager.Client](ctx, c, names.SecretsManager, make(map[string]any)))
}

func (c *AWSClient) STSClient(ctx context.Context) *sts.Client {
	return errs.Must(client[*sts.Client](ctx, c, names.STS, make(map[string]any)))
}
