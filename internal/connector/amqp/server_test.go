package amqp

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// broker is a real RabbitMQ (Debian's package) started by a test in a
// temporary directory, on free ports of 127.0.0.1, with an Erlang port
// mapper of its own; as the rabbitmq user when the test runs as root. It
// is killed, and its directory removed, when the test ends.
type broker struct {
	dir              string
	port, dist, epmd int
	cred             *syscall.Credential
	cmd              *exec.Cmd
	exited           chan struct{}
	node             string
	hung             bool
}

// shared is the one broker of the test process (RabbitMQ takes many
// seconds to start): tests use queues of their own on it, and the tests
// that kill it restart it before they end. TestMain stops it.
var shared struct {
	once sync.Once
	b    *broker
	err  error
}

// sharedBroker returns the running broker, starting it the first time.
func sharedBroker(t *testing.T) *broker {
	t.Helper()
	if _, err := os.Stat(rabbitBin); err != nil {
		t.Skip("RabbitMQ is not installed (apt-get install rabbitmq-server); skipping the tests against a real broker")
	}
	shared.once.Do(func() { shared.b, shared.err = newBroker() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	b := shared.b
	if b.hung { // a test left it stopped: let it go on
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGCONT)
		b.hung = false
	}
	if b.cmd == nil {
		if err := b.start(); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// stopShared is for TestMain.
func stopShared() {
	if shared.b != nil {
		shared.b.stop()
		os.RemoveAll(shared.b.dir)
	}
}

const rabbitBin = "/usr/lib/rabbitmq/bin/rabbitmq-server"

func newBroker() (*broker, error) {
	var ports []int
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	b := &broker{port: ports[0], dist: ports[1], epmd: ports[2]}
	b.node = fmt.Sprintf("temblor%d@localhost", b.port)
	dir, err := os.MkdirTemp("", "temblor-rabbit-")
	if err != nil {
		return nil, err
	}
	b.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("rabbitmq")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no `rabbitmq` user to run the broker as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		b.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		os.Chmod(dir, 0o755)
		os.Chown(dir, uid, gid)
	}
	if err := os.WriteFile(filepath.Join(dir, "enabled_plugins"), []byte("[].\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ".erlang.cookie"), []byte("temblortestcookie"), 0o400); err != nil {
		return nil, err
	}
	if b.cred != nil {
		for _, f := range []string{"enabled_plugins", ".erlang.cookie"} {
			os.Chown(filepath.Join(dir, f), int(b.cred.Uid), int(b.cred.Gid))
		}
	}
	return b, nil
}

func (b *broker) env() []string {
	return append(os.Environ(),
		"HOME="+b.dir,
		"RABBITMQ_NODENAME="+b.node,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(b.port),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(b.dist),
		"ERL_EPMD_PORT="+strconv.Itoa(b.epmd),
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"RABBITMQ_MNESIA_BASE="+filepath.Join(b.dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(b.dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(b.dir, "enabled_plugins"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(b.dir, "rabbitmq"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(b.dir, "advanced.config"),
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(b.dir, "rabbitmq-env.conf"),
		"RABBITMQ_PID_FILE="+filepath.Join(b.dir, "rabbit.pid"),
	)
}

// start runs the broker and waits until it accepts AMQP connections.
func (b *broker) start() error {
	log, _ := os.OpenFile(filepath.Join(b.dir, "server.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	b.cmd = exec.Command(rabbitBin)
	b.cmd.Env = b.env()
	b.cmd.Dir = b.dir
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: b.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL} // a test that dies takes the broker along
	b.cmd.Stdout, b.cmd.Stderr = log, log
	if err := b.cmd.Start(); err != nil {
		return err
	}
	log.Close()
	exited, cmd := make(chan struct{}), b.cmd
	b.exited = exited
	go func() { _ = cmd.Wait(); close(exited) }()
	end := time.Now().Add(90 * time.Second)
	for {
		c, err := amqp091.Dial(b.url())
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(b.dir, "server.out"))
			b.cmd = nil
			return fmt.Errorf("RabbitMQ exited at start:\n%s", out)
		default:
		}
		if time.Now().After(end) {
			out, _ := os.ReadFile(filepath.Join(b.dir, "server.out"))
			return fmt.Errorf("RabbitMQ did not start: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *broker) url() string { return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", b.port) }

// kill kills the broker's processes (its process group: the Erlang VM and
// its port programs) with SIGKILL.
func (b *broker) kill() {
	if b.cmd == nil {
		return
	}
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	<-b.exited
	b.cmd, b.hung = nil, false
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.port), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
	}
}

// stop kills the broker and its port mapper.
func (b *broker) stop() {
	b.kill()
	kill := exec.Command("epmd", "-port", strconv.Itoa(b.epmd), "-kill")
	kill.Env = b.env()
	_ = kill.Run()
}

// Hang stops the broker's processes (SIGSTOP): connections stay open and
// nothing answers. The next sharedBroker lets it go on.
func (b *broker) hang() {
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGSTOP)
	b.hung = true
}
