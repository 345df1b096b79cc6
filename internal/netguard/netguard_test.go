package netguard

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.5.5": false,
		"169.254.169.254": false, "100.64.0.1": false, "::1": false, "fe80::1": false, "fc00::1": false,
		"0.0.0.0": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
	} {
		if got := PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestControl(t *testing.T) {
	refused := errors.New("refused")
	c := Control(refused)
	if err := c("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
	for _, a := range []string{"127.0.0.1:80", "[::1]:443", "10.0.0.1:8080", "not-an-address"} {
		if err := c("tcp", a, nil); !errors.Is(err, refused) {
			t.Errorf("%s: %v, want the refusal", a, err)
		}
	}
}
