package cache

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// jwksMetrics count where key sets come from. They exist whether or not a
// registerer was given, so the code never checks.
type jwksMetrics struct {
	requests *prometheus.CounterVec           // kind=get|refresh, source=memory|redis|fetch
	byKind   [2]map[string]prometheus.Counter // requests resolved once, off the hot path
	fetches  *prometheus.CounterVec           // result=ok|error
	redisUp  prometheus.Gauge
}

func newJWKSMetrics(reg prometheus.Registerer) (jwksMetrics, error) {
	m := jwksMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_jwks_requests_total",
			Help: "JWKS lookups by kind (get, refresh after an unknown kid) and by where the answer came from (memory, redis, fetch).",
		}, []string{"kind", "source"}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_jwks_fetches_total",
			Help: "HTTP fetches of identity providers' JWKS documents by result.",
		}, []string{"result"}),
		redisUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_jwks_redis_up",
			Help: "1 while the shared JWKS cache in Redis is in use, 0 when Redis is not configured or unreachable.",
		}),
	}
	for i, kind := range []string{"get", "refresh"} {
		m.byKind[i] = map[string]prometheus.Counter{}
		for _, source := range []string{"memory", "redis", "fetch"} {
			m.byKind[i][source] = m.requests.WithLabelValues(kind, source)
		}
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.fetches, m.redisUp} {
			if err := reg.Register(c); err != nil {
				return m, fmt.Errorf("register JWKS metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m jwksMetrics) served(refresh bool, source string) {
	i := 0
	if refresh {
		i = 1
	}
	m.byKind[i][source].Inc()
}

func (m jwksMetrics) setRedisUp(up bool) {
	if up {
		m.redisUp.Set(1)
	} else {
		m.redisUp.Set(0)
	}
}
