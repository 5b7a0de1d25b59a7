//go:build tools

// The command scripts/setup-platforms.sh builds from this module.
package tools

import _ "go.etcd.io/etcd/server/v3"
