package article

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// trackingParams are query parameters that identify a campaign or a click,
// never the article; they are dropped before an id is derived.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
	"ref_src": true, "cmpid": true, "ocid": true,
}

func isTracking(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// CanonicalURL normalises an article URL so that the same story reached by
// different links maps to one string: scheme and host lower-cased, default
// ports, the fragment and tracking parameters (utm_*, fbclid, gclid, …)
// dropped, the remaining query sorted, and an empty path written as "/".
func CanonicalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("url %q is not absolute (scheme and host required)", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	}
	u.Host = host
	u.Fragment = ""
	u.RawFragment = ""
	u.User = nil
	if u.Path == "" {
		u.Path = "/"
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		if !isTracking(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	u.RawQuery = b.String()
	u.ForceQuery = false
	return u.String(), nil
}

// DeriveID returns the deterministic id of an article: the first 128 bits of
// the SHA-256 of its canonical URL, hex-encoded; without a URL, of source
// and GUID. It fails when neither is available.
func DeriveID(rawURL, source, guid string) (string, error) {
	var key string
	switch {
	case strings.TrimSpace(rawURL) != "":
		c, err := CanonicalURL(rawURL)
		if err != nil {
			return "", err
		}
		key = "url\x00" + c
	case strings.TrimSpace(guid) != "":
		key = "guid\x00" + strings.TrimSpace(source) + "\x00" + strings.TrimSpace(guid)
	default:
		return "", fmt.Errorf("cannot derive id: url, or source and guid, required")
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]), nil
}
