package main

import (
	"context"
	"flag"
	"time"

	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/elastic"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// esFlags are the Elasticsearch client flags (NEWSWIRE_ES_* variables).
type esFlags struct {
	urls     string
	engine   string
	cfg      elastic.Config
	replicas int
	// reg, when set before the store opens, receives the engine metrics.
	reg prometheus.Registerer
}

func (e *esFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.urls, "es-url", "", "Elasticsearch or OpenSearch node URL(s), comma separated (empty: the embedded index under --data-dir)")
	fs.StringVar(&e.engine, "es-engine", string(elastic.EngineAuto), "search engine behind --es-url: auto (read from GET /), elasticsearch (7.10+, 8, 9) or opensearch (1.x, 2.x)")
	fs.StringVar(&e.cfg.Username, "es-username", "", "Elasticsearch basic-auth user")
	fs.StringVar(&e.cfg.Password, "es-password", "", "Elasticsearch basic-auth password")
	fs.StringVar(&e.cfg.APIKey, "es-api-key", "", "Elasticsearch API key (base64 id:key)")
	fs.StringVar(&e.cfg.CACertFile, "es-ca-cert", "", "PEM file of certificate authorities to trust")
	fs.StringVar(&e.cfg.Index, "es-index", elastic.DefaultIndex, "index alias base (template, indices and aliases derive from it)")
	fs.BoolVar(&e.cfg.Compress, "es-compress", false, "gzip request bodies")
	fs.IntVar(&e.cfg.MaxRetries, "es-max-retries", elastic.DefaultMaxRetries, "retries of a request on 429/502/503/504")
	fs.IntVar(&e.replicas, "es-replicas", elastic.DefaultReplicas, "replicas of new indices (0 for a single-node cluster)")
}

// opener returns how to open the Elasticsearch store, or nil when no URL
// is configured (the embedded index is used).
func (e *esFlags) opener() (func(*zap.Logger) (index.Store, error), error) {
	cfg, ok, err := e.config()
	if err != nil || !ok {
		return nil, err
	}
	return func(log *zap.Logger) (index.Store, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if e.reg != nil {
			cfg.Metrics = elastic.NewMetrics(e.reg)
		}
		return elastic.Open(ctx, cfg, log)
	}, nil
}

// config returns the store configuration, and false when no URL is set.
func (e *esFlags) config() (elastic.Config, bool, error) {
	addrs := splitList(e.urls)
	if len(addrs) == 0 {
		return elastic.Config{}, false, nil
	}
	cfg := e.cfg
	cfg.Addresses = addrs
	cfg.Replicas = e.replicas
	if e.replicas == 0 {
		cfg.Replicas = elastic.NoReplicas
	}
	engine, err := elastic.ParseEngine(e.engine)
	if err != nil {
		return elastic.Config{}, false, err
	}
	cfg.Engine = engine
	if err := cfg.Validate(); err != nil {
		return elastic.Config{}, false, err
	}
	return cfg, true, nil
}
