//go:build deps

package internal

import (
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/lestrrat-go/jwx/v2/jwt"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/zitadel/oidc/v3/pkg/op"
	_ "golang.org/x/sync/singleflight"
	_ "google.golang.org/grpc"
)
