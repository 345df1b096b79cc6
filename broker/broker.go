// Package broker runs newswire's embedded Kafka-protocol broker: franz-go's
// kfake, in process, listening on a loopback TCP port. The stages reach it
// with kafka-go over TCP exactly as they reach a real cluster, so the
// all-in-one mode exercises the same code paths as production.
//
// With a data directory the broker keeps its log and committed offsets on
// disk, so a restart resumes where the previous run stopped.
package broker

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
)

// Config configures the embedded broker.
type Config struct {
	// Addr is the listen address; only loopback hosts are accepted.
	// Default "127.0.0.1:0" (a free port).
	Addr string
	// DataDir keeps the log and offsets across restarts. Empty means in
	// memory only (tests).
	DataDir string
	// SyncWrites fsyncs every produced batch before acknowledging it.
	SyncWrites bool
	// MaxMessageBytes is the largest record batch accepted (default 16 MiB,
	// so oversized poison records still reach the dead-letter topic).
	MaxMessageBytes int
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("embedded broker address %q: %w", c.Addr, err)
	}
	if host != "127.0.0.1" && host != "localhost" {
		return fmt.Errorf("embedded broker address %q: only 127.0.0.1 is supported", c.Addr)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("embedded broker port %q: %w", port, err)
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 16 << 20
	}
	return nil
}

// Broker is a running embedded broker.
type Broker struct {
	c   *kfake.Cluster
	log *zap.Logger
}

// Start starts the broker and returns once it accepts connections.
func Start(cfg Config, log *zap.Logger) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	_, portStr, _ := net.SplitHostPort(cfg.Addr)
	port, _ := strconv.Atoi(portStr)
	log = log.With(zap.String("component", "broker"))
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.ClusterID("newswire-embedded"),
		kfake.WithLogger(kfakeLogger{log}),
		kfake.BrokerConfigs(map[string]string{
			"message.max.bytes": strconv.Itoa(cfg.MaxMessageBytes),
		}),
	}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create broker data dir: %w", err)
		}
		opts = append(opts, kfake.DataDir(cfg.DataDir))
		if cfg.SyncWrites {
			opts = append(opts, kfake.SyncWrites())
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker on %s: %w", cfg.Addr, err)
	}
	b := &Broker{c: c, log: log}
	log.Info("embedded broker listening", zap.Strings("addrs", c.ListenAddrs()), zap.String("data_dir", cfg.DataDir))
	return b, nil
}

// Addrs returns the host:port the broker listens on.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Close stops the broker, persisting its state when a data dir is set.
func (b *Broker) Close() {
	b.c.Close()
	b.log.Info("embedded broker stopped")
}

type kfakeLogger struct{ log *zap.Logger }

func (l kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		l.log.Error("kfake", zap.String("msg", fmt.Sprintf(format, args...)))
	case kfake.LogLevelWarn:
		l.log.Warn("kfake", zap.String("msg", fmt.Sprintf(format, args...)))
	}
}
