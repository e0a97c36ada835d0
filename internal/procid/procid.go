// Package procid names a worker process so that others sharing its
// database can tell when it is gone: host, pid and a random part, so a
// restarted process with the same pid is another.
package procid

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// issued are the names New gave in this process.
var issued sync.Map

// New returns a new name for this process: host/pid/random.
func New() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b[:])
	issued.Store(id, true)
	return id
}

// Dead reports whether id names a process of this host that no longer
// runs. A process of another host is never known dead. A name with this
// process's pid that this process did not give is an earlier process that
// had the same pid: a worker restarted in a container is pid 1 again.
func Dead(id string) bool {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		_, ours := issued.Load(id)
		return !ours
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
