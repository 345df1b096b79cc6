package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswire/newswire/consumers"
	"github.com/newswire/newswire/enrich"
)

func TestConfigWithDefaults(t *testing.T) {
	var zero Config
	c := zero.WithDefaults()
	if !slices.Equal(c.Roles, AllRoles) || c.EmbeddedBrokerAddr != DefaultEmbeddedBrokerAddr || c.DataDir != DefaultDataDir ||
		c.HTTPAddr != DefaultHTTPAddr || c.Topics != consumers.DefaultTopics || c.Partitions != DefaultPartitions ||
		c.Replication != DefaultReplication || c.EnrichGroup != DefaultEnrichGroup || c.IndexGroup != DefaultIndexGroup ||
		c.AlertGroup != DefaultAlertGroup || c.ShutdownTimeout != DefaultShutdownTimeout {
		t.Errorf("defaults not applied: %+v", c)
	}
	if zero.Roles != nil || zero.DataDir != "" {
		t.Error("WithDefaults changed its receiver")
	}
	// Set fields stay; no serve role, no HTTP address.
	c = Config{Roles: []string{RoleIndex}, DataDir: "d", Partitions: 3, IndexGroup: "g"}.WithDefaults()
	if c.HTTPAddr != "" || c.DataDir != "d" || c.Partitions != 3 || c.IndexGroup != "g" {
		t.Errorf("set fields overridden: %+v", c)
	}
}

func TestConfigValidate(t *testing.T) {
	tagger, err := enrich.New(enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // every problem reported
	}{
		{"all roles with a tagger", Config{Tagger: tagger}, nil},
		{"index only needs no tagger", Config{Roles: []string{RoleIndex, RoleServe}}, nil},
		{"default roles need a tagger", Config{}, []string{"enrich role needs a tagger"}},
		{"every problem at once", Config{Roles: []string{"enrich", "indx", "serv"}}, []string{
			`unknown role "indx"`, `unknown role "serv"`, "enrich role needs a tagger",
		}},
		{"digest takeover too soon", Config{Roles: []string{RoleAlert}, DigestTakeoverAfter: time.Second}, []string{"digest takeover-after 1s is under twice"}},
		{"digest takeover long enough", Config{Roles: []string{RoleAlert}, DigestTakeoverAfter: time.Minute}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.cfg
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !slices.Equal(before.Roles, tc.cfg.Roles) || tc.cfg.DataDir != "" {
				t.Error("Validate changed the config")
			}
		})
	}
}
