// Package browser drives the search page in a real headless Chromium
// (Debian's chromium package, installed by deploy/local/browser.sh) through
// the DevTools protocol with chromedp, against the real HTTP handler of
// package api serving the real embedded store loaded with the sample
// corpus (tagged by the tagger and clustered into stories).
//
// The tests navigate by keyboard only (Tab, Enter, Space), fail on any
// console error, uncaught exception or failed request the page does not
// expect, and save a screenshot of the page under artifacts/ (ignored by
// git) when a test fails. They skip when NEWSWIRE_TEST_CHROMIUM is unset
// and fail when it is set and the browser does not start.
//
// chromedp rather than rod: it starts the browser binary it is given with
// exactly the flags given (rod's launcher prefers to download a browser of
// its own, which this project's networks do not allow), has no
// dependencies outside Go, and its typed protocol events make the console
// watch a plain type switch.
package browser
