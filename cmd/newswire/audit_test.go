package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/broker"
	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/index"
	"github.com/newswire/newswire/index/elastic"
	"github.com/newswire/newswire/index/embedded"
	"github.com/newswire/newswire/testsvc"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// auditFixture is one scenario for every store: seven raw records
// (a1, a2 indexed; a3 dead-lettered by the indexer; a4 indexed at an
// older version than its newest record; a5 never indexed; a6 published
// twice, indexed at the newer version; one poison record, dead-lettered
// by the enricher).
type auditFixture struct {
	raw, dlq []kafka.Message
	indexed  []article.Enriched // what the store holds
	fixLater []article.Enriched // what makes the audit pass
}

func newAuditFixture(rawTopic, dlqTopic string) auditFixture {
	base := time.Date(2024, 6, 19, 10, 0, 0, 0, time.UTC)
	mk := func(n int, updated time.Time) article.Article {
		a := article.Article{URL: fmt.Sprintf("https://audit.example/a%d", n), Title: fmt.Sprintf("Story %d", n), Published: base, Updated: updated}
		if err := article.Normalize(&a, base); err != nil {
			panic(err)
		}
		return a
	}
	var f auditFixture
	put := func(a article.Article) {
		b, _ := article.Marshal(&a)
		f.raw = append(f.raw, kafka.Message{Key: []byte(a.ID), Value: b})
	}
	newer := base.Add(time.Hour)
	a := []article.Article{{}, mk(1, base), mk(2, base), mk(3, base), mk(4, newer), mk(5, base), mk(6, newer)}
	for _, x := range a[1:] {
		put(x)
	}
	put(mk(6, base)) // an older version after the newer one: the newer counts
	f.raw = append(f.raw, kafka.Message{Key: []byte("poison-1"), Value: []byte(`{"title": "broken`)})
	old4 := mk(4, base)
	f.indexed = []article.Enriched{{Article: a[1]}, {Article: a[2]}, {Article: old4}, {Article: a[6]}}
	f.fixLater = []article.Enriched{{Article: a[4]}, {Article: a[5]}}
	at := time.Now()
	f.dlq = []kafka.Message{
		consumers.ToMessage(consumers.DeadLetter(consumers.FromMessage(kafka.Message{Topic: rawTopic, Key: []byte("poison-1"), Value: []byte(`{"title": "broken`)}), dlqTopic, "enrich", errors.New("malformed JSON"), 1, at, 0)),
		consumers.ToMessage(consumers.DeadLetter(consumers.FromMessage(kafka.Message{Topic: "news.enriched", Key: []byte(a[3].ID), Value: []byte(`{}`)}), dlqTopic, "index", errors.New("mapping"), 1, at, 0)),
	}
	return f
}

func (f auditFixture) produce(t *testing.T, brokers []string, tp consumers.Topics) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := consumers.EnsureTopics(ctx, brokers, tp.All(), consumers.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	if err := consumers.WaitTopics(ctx, brokers, tp.All()); err != nil {
		t.Fatal(err)
	}
	w := consumers.NewWriter(brokers, zap.NewNop())
	defer w.Close()
	for topic, msgs := range map[string][]kafka.Message{tp.Raw: f.raw, tp.DLQ: f.dlq} {
		for i := range msgs {
			msgs[i].Topic = topic
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
}

func indexAll(t *testing.T, st index.Store, docs []article.Enriched) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if rej, err := st.IndexBatch(ctx, docs); err != nil || len(rej) > 0 {
		t.Fatalf("IndexBatch = %v, %v", rej, err)
	}
}

func checkReport(t *testing.T, rep consumers.AuditReport, missing, stale, dead, indexed int) {
	t.Helper()
	if rep.Records != 8 || rep.Checked != 7 || rep.Missing != missing || rep.Stale != stale || rep.DeadLettered != dead || rep.Indexed != indexed {
		t.Fatalf("report %+v, want records 8, checked 7, indexed %d, stale %d, missing %d, dead-lettered %d", rep, indexed, stale, missing, dead)
	}
}

// TestAuditEmbedded runs `newswire audit --data-dir` on the files of a
// stopped all-in-one: its broker log and its embedded index.
func TestAuditEmbedded(t *testing.T) {
	dir := t.TempDir()
	tp := consumers.DefaultTopics
	f := newAuditFixture(tp.Raw, tp.DLQ)
	b, err := broker.Start(broker.Config{DataDir: filepath.Join(dir, "kafka")}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	f.produce(t, b.Addrs(), tp)
	b.Close()
	st, err := embedded.Open(filepath.Join(dir, "index"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	indexAll(t, st, f.indexed)

	// While the index is open (as under a running newswire run), the
	// audit refuses to touch the data directory.
	var out, errb bytes.Buffer
	if code := run([]string{"audit", "--data-dir", dir, "--from", "0", "--log-level", "warn"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Fatalf("audit of an open index: %d %s", code, errb.String())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	audit := func(wantCode int) consumers.AuditReport {
		t.Helper()
		out.Reset()
		errb.Reset()
		code := run([]string{"audit", "--data-dir", dir, "--from", "0", "--json", "--log-level", "warn"}, nil, &out, &errb)
		var rep consumers.AuditReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil || code != wantCode {
			t.Fatalf("audit: exit %d (want %d), %v: %s %s", code, wantCode, err, out.String(), errb.String())
		}
		return rep
	}
	rep := audit(1)
	checkReport(t, rep, 1, 1, 2, 3)
	if !strings.Contains(errb.String(), "neither searchable nor dead-lettered") {
		t.Errorf("stderr %s", errb.String())
	}
	// The table names the outcomes too.
	out.Reset()
	if code := run([]string{"audit", "--data-dir", dir, "--from", "0", "--log-level", "warn"}, nil, &out, &errb); code != 1 || !strings.Contains(out.String(), "dead-lettered  2") {
		t.Fatalf("table: %d\n%s", code, out.String())
	}

	st, err = embedded.Open(filepath.Join(dir, "index"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	indexAll(t, st, f.fixLater)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	checkReport(t, audit(0), 0, 0, 2, 5)
}

// TestAuditRealServices runs the audit on real Kafka and the real
// Elasticsearch node. (The CLI would refuse that node: it predates the
// product header, which only tests add.)
func TestAuditRealServices(t *testing.T) {
	brokers := testsvc.KafkaBrokers(t)
	esURL := testsvc.ESURL(t)
	prefix := testsvc.UniqueName(t, "audit")
	tp := consumers.Topics{Raw: prefix + ".raw", Enriched: prefix + ".enriched", Alerts: prefix + ".alerts", DLQ: prefix + ".dlq"}
	f := newAuditFixture(tp.Raw, tp.DLQ)
	f.produce(t, brokers, tp)

	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := elastic.Open(ctx, elastic.Config{Addresses: []string{esURL}, Index: prefix, Replicas: elastic.NoReplicas, Transport: tr}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, path := range []string{"/" + prefix + "-*", "/_index_template/" + prefix} {
			req, _ := http.NewRequest(http.MethodDelete, esURL+path, nil)
			if resp, err := tr.RoundTrip(req); err == nil {
				resp.Body.Close()
			}
		}
		_ = st.Close()
	})
	indexAll(t, st, f.indexed)
	opt := consumers.AuditOptions{RawTopic: tp.Raw, DLQTopic: tp.DLQ}
	// Searchable after a refresh (within a second or so).
	var rep consumers.AuditReport
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if rep, err = consumers.Audit(ctx, brokers, st, opt); err != nil {
			t.Fatal(err)
		}
		if rep.Indexed == 3 || time.Now().After(deadline) {
			break
		}
	}
	checkReport(t, rep, 1, 1, 2, 3)
	indexAll(t, st, f.fixLater)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if rep, err = consumers.Audit(ctx, brokers, st, opt); err != nil {
			t.Fatal(err)
		}
		if rep.Indexed == 5 || time.Now().After(deadline) {
			break
		}
	}
	checkReport(t, rep, 0, 0, 2, 5)
	if !rep.OK() {
		t.Fatal("report not OK")
	}
	// A range: only the first record of each partition, by offset.
	to := consumers.Position{Offset: 1}
	rep, err = consumers.Audit(ctx, brokers, st, consumers.AuditOptions{RawTopic: tp.Raw, DLQTopic: tp.DLQ, To: &to})
	if err != nil || rep.Records > 3 || rep.Records == 0 {
		t.Fatalf("to offset 1: %+v, %v", rep, err)
	}
}
