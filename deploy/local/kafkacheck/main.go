// Command kafkacheck is the readiness probe of deploy/local/services.sh.
//
// It makes one attempt: dial the broker, send a metadata request and look
// for at least one live broker in the answer, then fetch the offsets of a
// probe consumer group. The second step makes the broker create and load
// its group-offsets topic: a fresh broker answers metadata some seconds
// before it can coordinate groups, and a kafka-go group reader started in
// that gap gets "Not Coordinator For Group" from FetchMessage. It exits 0
// when the broker is ready, 1 when it is not (with the reason on stderr)
// and 2 on bad flags.
// The caller owns the retry loop, so a broker that died during start-up is
// noticed between attempts instead of after a long timeout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9092", "broker address, host:port")
	timeout := flag.Duration("timeout", 2*time.Second, "time allowed for the attempt")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "kafkacheck: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	err := check(ctx, *addr)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kafkacheck: %v\n", err)
		os.Exit(1)
	}
}

// check returns nil when the broker at addr answers a metadata request that
// lists at least one live broker.
func check(ctx context.Context, addr string) error {
	var d kafka.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return fmt.Errorf("set deadline: %w", err)
		}
	}
	brokers, err := conn.Brokers()
	if err != nil {
		return fmt.Errorf("metadata request to %s: %w", addr, err)
	}
	if len(brokers) == 0 {
		return errors.New("metadata lists no live broker yet")
	}
	return checkGroups(ctx, addr)
}

// probeGroup is never joined; fetching its offsets only exercises the
// group coordinator.
const probeGroup = "newswire-local-readiness"

// checkGroups returns nil when the group coordinator answers an offset
// fetch. deploy/local gives the offsets topic a single partition, so one
// probe group covers the coordinator of every group.
func checkGroups(ctx context.Context, addr string) error {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	res, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: probeGroup})
	if err != nil {
		return fmt.Errorf("offset fetch for probe group: %w", err)
	}
	if res.Error != nil {
		return fmt.Errorf("group coordinator not ready: %w", res.Error)
	}
	return nil
}
