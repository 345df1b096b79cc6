package consumers

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/testsvc"
	"github.com/prometheus/client_golang/prometheus"
)

// TestOversizedRecordDoesNotStopTheStage is the regression test for a
// 16 MiB − 200 B record written straight to the raw topic: its
// dead-letter copy (record plus headers) used to exceed the size limit, so
// the stage retried for ever and every later article waited. Now the copy
// is written truncated with the original's size and hash, and the
// articles after it are enriched.
func TestOversizedRecordDoesNotStopTheStage(t *testing.T) {
	oversizedScenario(t, startBroker(t), "oversize")
}

func TestOversizedRecordDoesNotStopTheStageRealKafka(t *testing.T) {
	oversizedScenario(t, testsvc.KafkaBrokers(t), testsvc.UniqueName(t, "oversize"))
}

func oversizedScenario(t *testing.T, brokers []string, prefix string) {
	if testing.Short() {
		t.Skip("writes 16 MiB records")
	}
	tp := testTopics(t, brokers, prefix, 1)
	big := make([]byte, 16<<20-200)
	for i := range big {
		big[i] = 'x'
	}
	produce(t, brokers, tp.Raw, []Record{rawArticle(0)})
	produce(t, brokers, tp.Raw, []Record{{Key: []byte("huge"), Value: big}})
	produce(t, brokers, tp.Raw, []Record{rawArticle(1), rawArticle(2), rawArticle(3)})
	ctx, cancel := context.WithCancel(context.Background())
	wait := runStage(t, ctx, Config{Brokers: brokers, Group: prefix + "-enrich", Topic: tp.Raw, DLQTopic: tp.DLQ, Stage: "enrich"},
		NewEnricher(countryTagger{}, tp.Enriched, article.Limits{}), NewMetrics(prometheus.NewRegistry()))
	waitLagZero(t, brokers, prefix+"-enrich", tp.Raw, 60*time.Second)
	cancel()
	wait()
	if n := len(readAll(t, brokers, tp.Enriched)); n != 4 {
		t.Fatalf("%d articles enriched, want 4", n)
	}
	dead := readAll(t, brokers, tp.DLQ)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	d := dead[0]
	if string(d.Key) != "huge" || len(d.Value) >= len(big) || len(d.Value) == 0 {
		t.Errorf("dead letter key %q, %d bytes", d.Key, len(d.Value))
	}
	for k, want := range map[string]string{HeaderTruncated: "true", HeaderOriginalSize: strconv.Itoa(len(big)), HeaderTopic: tp.Raw, HeaderOffset: "1"} {
		if v, _ := d.Header(k); string(v) != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
}
