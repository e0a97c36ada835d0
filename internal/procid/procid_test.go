package procid

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestDead(t *testing.T) {
	host, _ := os.Hostname()
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{New(), false}, // this process
		// An earlier process that had this pid (a container's pid 1,
		// restarted): not a name this process gave.
		{host + "/" + strconv.Itoa(os.Getpid()) + "/ab", true},
		{host + "/999999999/ab", true}, // no such pid
		{"elsewhere/999999999/ab", false},
		{"garbage", false},
		{host + "/x/ab", false},
	} {
		if got := Dead(tt.id); got != tt.want {
			t.Errorf("Dead(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if a, b := New(), New(); a == b || !strings.HasPrefix(a, host+"/") {
		t.Errorf("New() = %q, %q: want distinct names of this host", a, b)
	}
}
