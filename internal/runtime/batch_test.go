package runtime

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/config"
)

// TestBatchOperatorToFileOfframp: an event of generic::batch reaches an
// SDK offramp, which writes each value of the batch as a line of its own
// (red when the sink writes the batch event's data as one array).
func TestBatchOperatorToFileOfframp(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"ramps.yaml": `
onramp:
  - id: in
    type: file
    config: {source: ` + filepath.Join(dir, "in.json") + `}
offramp:
  - id: out
    type: file
    config: {file: ` + filepath.Join(dir, "out.log") + `}
binding:
  - id: b
    links:
      "/onramp/in/{instance}/out": ["/pipeline/p/{instance}/in"]
      "/pipeline/p/{instance}/out": ["/offramp/out/{instance}/in"]
mapping:
  /binding/b/01:
    instance: "01"
`,
		"p.trickle": `
define generic::batch operator b with count = 2 end;
create operator b;
select event from in into b;
select event from b into out;
`,
		"in.json": "1\n2\n3\n4\n",
	}
	paths := writeFiles(t, dir, files)
	var ps []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".json") {
			ps = append(ps, p)
		}
	}
	dep, err := config.Load(ps)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Build(dep, Options{DataDir: filepath.Join(dir, "data"), ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.Run(ctx) }()
	waitUntil(t, 10*time.Second, "four lines written", func() bool {
		return len(rawLines(t, filepath.Join(dir, "out.log"))) >= 4
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rawLines(t, filepath.Join(dir, "out.log")), ","); got != "1,2,3,4" {
		t.Errorf("out.log: %s, want 1,2,3,4 (one line per batched value)", got)
	}
}
