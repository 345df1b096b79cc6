package main

import (
	"flag"

	"github.com/newswire/newswire/index"
	"go.uber.org/zap"
)

// esFlags are the Elasticsearch client flags. Until the Elasticsearch
// store is wired, --es-url is refused with a clear message.
type esFlags struct {
	url string
}

func (e *esFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.url, "es-url", "", "Elasticsearch URL(s), comma separated (empty: the embedded index under --data-dir)")
}

func (e *esFlags) opener() (func(*zap.Logger) (index.Store, error), error) {
	return nil, nil
}
