// Package netguard keeps outbound HTTP (alert webhooks, page fetches) off
// loopback, private, link-local and shared address space. The check runs
// on the address actually dialled, after name resolution, so neither a
// name that resolves inward nor a rebinding DNS answer gets through.
package netguard

import (
	"fmt"
	"net/netip"
	"syscall"
)

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// PublicAddr reports whether ip is a global unicast address outside the
// private, loopback, link-local and shared ranges.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() &&
		!ip.IsLinkLocalUnicast() && !cgnat.Contains(ip)
}

// Control is a net.Dialer Control function that refuses every address
// PublicAddr does not accept, with an error wrapping refused.
func Control(refused error) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !PublicAddr(ap.Addr()) {
			return fmt.Errorf("dial %s: %w", address, refused)
		}
		return nil
	}
}
