package postgres

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is a real PostgreSQL (Debian's package) started by a test in a
// temporary directory on a free port of 127.0.0.1, as a user of its own
// when the test runs as root (postgres refuses root). It is killed and
// its directory removed when the test ends.
type server struct {
	t        *testing.T
	bin      string
	dir      string
	port     int
	cred     *syscall.Credential
	cmd      *exec.Cmd
	exited   chan struct{} // closed when cmd ended
	password string
}

// pgBin finds the server binaries: the newest /usr/lib/postgresql/*/bin,
// else PATH.
func pgBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// templ is a data directory made once per test process (initdb, the
// database "temblor") and copied for each server: initdb is the slow part.
var templ struct {
	once sync.Once
	dir  string
	err  error
}

// newServer prepares a server in a directory of its own (not started).
func newServer(t *testing.T, bin string) *server {
	t.Helper()
	s := &server{t: t, bin: bin, port: freePort(t), password: "s3cret"}
	dir, err := os.MkdirTemp("", "temblor-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			t.Skip("running as root and there is no `postgres` user to run the server as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// makeTemplate runs initdb and creates the database, then stops the
// server cleanly.
func makeTemplate(t *testing.T, bin string) (string, error) {
	s := newServer(t, bin)
	pw := filepath.Join(s.dir, "pw")
	if err := os.WriteFile(pw, []byte(s.password+"\n"), 0o644); err != nil {
		return "", err
	}
	initdb := s.command("initdb", "-D", filepath.Join(s.dir, "data"), "-U", "temblor", "--pwfile", pw,
		"--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	s.start()
	conn := s.connect(context.Background())
	_, err := conn.Exec(context.Background(), "CREATE DATABASE temblor")
	conn.Close(context.Background())
	if err != nil {
		return "", err
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown: a clean data directory
	<-s.exited
	return s.dir, nil
}

// startServer starts a fresh server with a database "temblor" owned by
// user "temblor" (password "s3cret", scram-sha-256 over TCP).
func startServer(t *testing.T) *server {
	t.Helper()
	bin := pgBin()
	if bin == "" {
		t.Skip("PostgreSQL is not installed (apt-get install postgresql); skipping the tests against a real server")
	}
	templ.once.Do(func() { templ.dir, templ.err = makeTemplate(t, bin) })
	if templ.err != nil {
		t.Fatal(templ.err)
	}
	s := newServer(t, bin)
	t.Cleanup(func() { os.RemoveAll(s.dir) })
	if out, err := exec.Command("cp", "-a", filepath.Join(templ.dir, "data"), filepath.Join(s.dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("copying the template: %v\n%s", err, out)
	}
	s.start()
	t.Cleanup(s.kill)
	return s
}

// removeTemplate is for TestMain.
func removeTemplate() {
	if templ.dir != "" {
		os.RemoveAll(templ.dir)
	}
}

func (s *server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL} // a test that dies takes the server along
	return cmd
}

// start runs the server and waits until it accepts connections.
func (s *server) start() {
	s.t.Helper()
	log, _ := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	s.cmd = s.command("postgres", "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir, "-c", "fsync=on")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	log.Close()
	exited, cmd := make(chan struct{}), s.cmd
	s.exited = exited
	go func() { _ = cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, s.url("postgres"))
		if err == nil {
			c.Close(ctx)
			return
		}
		select {
		case <-exited:
			err = fmt.Errorf("the server exited")
		default:
		}
		if ctx.Err() != nil || isClosed(exited) {
			b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			s.t.Fatalf("PostgreSQL did not start: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) url(db string) string {
	return fmt.Sprintf("postgres://temblor:%s@127.0.0.1:%d/%s?sslmode=disable", s.password, s.port, db)
}

// connect opens a connection of the test's own.
func (s *server) connect(ctx context.Context) *pgx.Conn {
	s.t.Helper()
	c, err := pgx.Connect(ctx, s.url("temblor"))
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		c, err = pgx.Connect(ctx, s.url("postgres"))
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// exec runs statements on the test's own connection.
func (s *server) exec(sql string, args ...any) {
	s.t.Helper()
	c := s.connect(context.Background())
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
}

// config is the connector config section for the server.
func (s *server) config() string {
	return fmt.Sprintf("host: 127.0.0.1\nport: %d\nuser: temblor\npassword: %s\ndbname: temblor\n", s.port, s.password)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// children lists the processes whose parent is pid (from /proc).
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

// kill kills the server abruptly, as a crashed host would: SIGKILL to the
// postmaster and to its backends (each is a session of its own, so a
// process group does not reach them).
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	kids := children(pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for _, k := range kids {
		_ = syscall.Kill(k, syscall.SIGKILL)
	}
	<-s.exited
	s.cmd = nil
	// Wait until the backends are gone and the port is free.
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		alive := false
		for _, k := range kids {
			if syscall.Kill(k, 0) == nil {
				alive = true
			}
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), 100*time.Millisecond)
		if err == nil {
			c.Close()
			alive = true
		}
		if !alive {
			return
		}
	}
}

func (s *server) Kill()    { s.kill() }
func (s *server) Restart() { s.start() }
