package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/newswire/newswire/internal/netguard"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Header names of a webhook delivery.
const (
	HeaderSignature = "X-Newswire-Signature" // "sha256=" + hex HMAC-SHA256 of the body, keyed by the rule's secret
	HeaderDelivery  = "X-Newswire-Delivery"  // the alert id (or digest id): receivers dedup on it
	HeaderEvent     = "X-Newswire-Event"     // TypeAlert or TypeDigest
)

// ErrPrivateTarget is returned when a webhook target resolves to a
// loopback, private or link-local address and private targets are not
// allowed.
var ErrPrivateTarget = errors.New("webhook target is on a loopback or private network; refused")

// Sign returns the signature header value of body: "sha256=<hex>".
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// newHTTPClient returns a client for webhook deliveries: no proxy, no
// redirects followed, and unless allowPrivate a dialer that refuses
// loopback, private and link-local addresses after name resolution, so a
// name that resolves to an internal address is refused too.
func newHTTPClient(timeout time.Duration, allowPrivate bool, perHost int) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = netguard.Control(ErrPrivateTarget)
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// post sends one JSON body and sorts the outcome: a *permanentError
// when a retry cannot help (4xx other than 408, 425 and 429; a refused
// target), any other error is transient.
func post(ctx context.Context, c *http.Client, url string, body []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &permanentError{fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "newswire-alerts/1")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		err = fmt.Errorf("post: %w", err)
		if errors.Is(err, ErrPrivateTarget) {
			return &permanentError{err}
		}
		return err
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("post: status %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
	if resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout &&
		resp.StatusCode != http.StatusTooEarly && resp.StatusCode != http.StatusTooManyRequests {
		return &permanentError{err}
	}
	return err
}
