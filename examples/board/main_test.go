package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oddsflow/oddsflow/internal/testenv"
)

// The board in a real browser: headless Chromium loads the page, prices
// render, and they change as the feed moves. A screenshot is saved as an
// artifact (BOARD_SCREENSHOT, or the temp directory).
func TestBoardInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Unavailable(t, "chromium is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, l, 400) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()))...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()

	if _, err := chromedp.Run(bctx, chromedp.Navigate("http://"+l.Addr().String()+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.WaitVisible(chromedp.CSS(`#rows tr td.price`))); err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#rows`)))
	if err != nil {
		t.Fatal(err)
	}
	// The page re-renders every 500ms from the socket: ask until the prices shown change.
	var later string
	for i := 0; i < 600 && (later == "" || later == first); i++ {
		if later, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#rows`))); err != nil {
			t.Fatal(err)
		}
	}
	if later == first {
		t.Fatal("the prices on the board never changed")
	}
	status, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#status`)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#rows tr').length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || !strings.Contains(status, "markets") {
		t.Errorf("%d rows, status %q", rows, status)
	}
	path := os.Getenv("BOARD_SCREENSHOT")
	if path == "" {
		path = filepath.Join(os.TempDir(), "oddsflow-board.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows, %s; screenshot %s (%d bytes)", rows, status, path, len(shot))
}
