package consumers

import (
	"fmt"
	"testing"

	"github.com/segmentio/kafka-go"
)

// TestPrefixBalancerByRule: every alert of a rule, its delivered marks and
// its throttle record go to one partition, for any partition count.
func TestPrefixBalancerByRule(t *testing.T) {
	b := &prefixBalancer{}
	for _, n := range []int{1, 2, 3, 12, 50} {
		parts := make([]int, n)
		for i := range parts {
			parts[i] = i
		}
		seen := map[int]bool{}
		for r := range 20 {
			rule := fmt.Sprintf("rule-%d", r)
			want := b.Balance(kafka.Message{Key: []byte(rule)}, parts...)
			seen[want] = true
			for a := range 200 {
				key := fmt.Sprintf("%s/article-%d:x", rule, a)
				if got := b.Balance(kafka.Message{Key: []byte(key)}, parts...); got != want {
					t.Fatalf("%d partitions: %s → %d, rule %s → %d", n, key, got, rule, want)
				}
			}
			if got := b.Balance(kafka.Message{Key: []byte(rule + "/#throttle")}, parts...); got != want {
				t.Fatalf("%d partitions: throttle record of %s → %d, want %d", n, rule, got, want)
			}
		}
		if n >= 3 && len(seen) < 2 {
			t.Errorf("%d partitions: 20 rules all on partition %v", n, seen)
		}
	}
}

// TestPrefixBalancerKeepsPlainKeys: keys without "/" (article ids, rule
// ids) map exactly as kafka.Hash maps them, so the raw, enriched, rules
// and alert-state partitioning does not move.
func TestPrefixBalancerKeepsPlainKeys(t *testing.T) {
	b, ref := &prefixBalancer{}, &kafka.Hash{}
	for _, n := range []int{1, 3, 6, 24} {
		parts := make([]int, n)
		for i := range parts {
			parts[i] = i
		}
		for i := range 2000 {
			key := []byte(fmt.Sprintf("art-%d.example.org:%d", i, i*7919))
			got := b.Balance(kafka.Message{Key: key}, parts...)
			want := ref.Balance(kafka.Message{Key: key}, parts...)
			if got != want {
				t.Fatalf("%d partitions: key %s → %d, kafka.Hash gives %d", n, key, got, want)
			}
		}
	}
	// The key bytes of the message are not changed.
	key := []byte("r1/a1")
	b.Balance(kafka.Message{Key: key}, 0, 1, 2)
	if string(key) != "r1/a1" {
		t.Errorf("key changed to %q", key)
	}
}

func BenchmarkPrefixBalancer(b *testing.B) {
	parts := []int{0, 1, 2, 3, 4, 5}
	for _, bc := range []struct {
		name string
		bal  kafka.Balancer
		key  []byte
	}{
		{"hash/plain", &kafka.Hash{}, []byte("art-12345.example.org")},
		{"prefix/plain", &prefixBalancer{}, []byte("art-12345.example.org")},
		{"prefix/alert", &prefixBalancer{}, []byte("kp-ru-treaty/art-12345.example.org")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			msg := kafka.Message{Key: bc.key}
			for b.Loop() {
				bc.bal.Balance(msg, parts...)
			}
		})
	}
}
