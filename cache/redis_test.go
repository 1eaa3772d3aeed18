package cache

import (
	"strings"
	"testing"
)

func TestConnect(t *testing.T) {
	if c, err := Connect(""); c != nil || err != nil {
		t.Fatalf("Connect(\"\") = %v, %v; want nil, nil (in-process caches)", c, err)
	}
	for _, u := range []string{"http://127.0.0.1:6379", "redis://user:s3cret@host:6379/notanumber", "redis://:s3cret@[::1"} {
		_, err := Connect(u)
		if err == nil {
			t.Errorf("Connect(%q) accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Connect error leaks the password: %v", err)
		}
	}
	c, err := Connect("redis://127.0.0.1:6379/2?dial_timeout=7s")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	o := c.Options()
	if o.DB != 2 || o.DialTimeout.String() != "7s" || !o.ContextTimeoutEnabled || o.MaxRetries != 1 {
		t.Fatalf("options %+v: want DB 2, the URL's dial timeout, context timeouts, one retry", o)
	}
}
