package bankfeed

import "time"

// Role is what a user of the web interface and the API may do.
type Role string

// Roles, from least to most.
const (
	// RoleViewer reads everything and changes nothing.
	RoleViewer Role = "viewer"
	// RoleBookkeeper also reviews lines, edits rules and entries,
	// reconciles, imports files and asks for a sync.
	RoleBookkeeper Role = "bookkeeper"
	// RoleAdmin also manages connections, users and settings.
	RoleAdmin Role = "admin"
)

// Roles lists every role, least first.
var Roles = []Role{RoleViewer, RoleBookkeeper, RoleAdmin}

// rank orders roles; 0 for an unknown one.
func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a user with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// UserID identifies a user.
type UserID int64

// User is a person who signs in to the web interface or calls the API.
type User struct {
	ID        UserID    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// APIToken is a user's token for the JSON API; its secret is shown once,
// when it is made, and only its hash is kept.
type APIToken struct {
	ID        int64     `json:"id"`
	UserID    UserID    `json:"user_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used_at,omitzero"`
}
