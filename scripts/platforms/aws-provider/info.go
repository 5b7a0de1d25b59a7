package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
)

// resources maps each Terraform resource the aws platform uses to its @pulumi/aws type token, with
// the property names where the bridge's automatic names differ from @pulumi/aws's.
var resources = map[string]*tfbridge.ResourceInfo{
	"aws_vpc":                     {Tok: "aws:ec2/vpc:Vpc"},
	"aws_subnet":                  {Tok: "aws:ec2/subnet:Subnet"},
	"aws_internet_gateway":        {Tok: "aws:ec2/internetGateway:InternetGateway"},
	"aws_route_table":             {Tok: "aws:ec2/routeTable:RouteTable", Fields: names(map[string]string{"route": "routes"})},
	"aws_route_table_association": {Tok: "aws:ec2/routeTableAssociation:RouteTableAssociation"},
	"aws_security_group": {
		Tok: "aws:ec2/securityGroup:SecurityGroup",
		Fields: map[string]*tfbridge.SchemaInfo{
			"ingress": {Name: "ingress"},
			"egress":  {Name: "egress"},
			// @pulumi/aws names security groups after the resource, as Pulumi names anything unnamed.
			"name": tfbridge.AutoName("name", 255, "-"),
		},
	},
	"aws_eip":               {Tok: "aws:ec2/eip:Eip"},
	"aws_eip_association":   {Tok: "aws:ec2/eipAssociation:EipAssociation"},
	"aws_ebs_volume":        {Tok: "aws:ebs/volume:Volume"},
	"aws_volume_attachment": {Tok: "aws:ec2/volumeAttachment:VolumeAttachment"},
	"aws_instance":          {Tok: "aws:ec2/instance:Instance"},
	"aws_route53_zone":      {Tok: "aws:route53/zone:Zone"},
	"aws_route53_record":    {Tok: "aws:route53/record:Record", Fields: names(map[string]string{"alias": "aliases"})},
	// @pulumi/aws names IAM objects and secrets after the resource, as Pulumi names anything unnamed.
	"aws_iam_role":                      {Tok: "aws:iam/role:Role", Fields: autoNamed(64)},
	"aws_iam_role_policy":               {Tok: "aws:iam/rolePolicy:RolePolicy", Fields: autoNamed(128)},
	"aws_iam_instance_profile":          {Tok: "aws:iam/instanceProfile:InstanceProfile", Fields: autoNamed(128)},
	"aws_secretsmanager_secret":         {Tok: "aws:secretsmanager/secret:Secret", Fields: autoNamed(512)},
	"aws_secretsmanager_secret_version": {Tok: "aws:secretsmanager/secretVersion:SecretVersion"},
	"aws_iam_role_policy_attachment":    {Tok: "aws:iam/rolePolicyAttachment:RolePolicyAttachment"},
	"aws_dlm_lifecycle_policy":          {Tok: "aws:dlm/lifecyclePolicy:LifecyclePolicy"},
}

func autoNamed(maxLength int) map[string]*tfbridge.SchemaInfo {
	return map[string]*tfbridge.SchemaInfo{"name": tfbridge.AutoName("name", maxLength, "-")}
}

var dataSources = map[string]*tfbridge.DataSourceInfo{
	"aws_ami": {Tok: "aws:ec2/getAmi:getAmi"},
}

func names(byTerraformName map[string]string) map[string]*tfbridge.SchemaInfo {
	fields := map[string]*tfbridge.SchemaInfo{}
	for tf, pulumi := range byTerraformName {
		fields[tf] = &tfbridge.SchemaInfo{Name: pulumi}
	}
	return fields
}

func providerInfo(p shim.Provider) tfbridge.ProviderInfo {
	return tfbridge.ProviderInfo{
		P:           p,
		Name:        "aws",
		Version:     version,
		Resources:   resources,
		DataSources: dataSources,
		// Resources and data sources of the upstream provider that this build does not map.
		IgnoreMappings: unmapped(p),
	}
}

// unmapped lists every upstream resource and data source without a token here, so that the bridge
// serves the mapped ones and does not ask for the rest.
func unmapped(p shim.Provider) []string {
	var ignored []string
	p.ResourcesMap().Range(func(name string, _ shim.Resource) bool {
		if _, ok := resources[name]; !ok {
			ignored = append(ignored, name)
		}
		return true
	})
	p.DataSourcesMap().Range(func(name string, _ shim.Resource) bool {
		if _, ok := dataSources[name]; !ok {
			ignored = append(ignored, name)
		}
		return true
	})
	return ignored
}
