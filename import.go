package bankfeed

import "time"

// ImportID identifies an Import in the store.
type ImportID int64

// Import records one statement file committed to the store.
type Import struct {
	ID         ImportID  `json:"id"`
	FileName   string    `json:"file_name"`
	FileSHA256 string    `json:"file_sha256"`
	FileSize   int64     `json:"file_size"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	ImportCounts
}

// ImportCounts are the figures of an import, per file and per statement.
type ImportCounts struct {
	New        int `json:"new"`
	Duplicate  int `json:"duplicate"`
	Collisions int `json:"collisions"`
	Skipped    int `json:"skipped"`
	Warnings   int `json:"warnings"`
}

// Add sums counts.
func (c *ImportCounts) Add(o ImportCounts) {
	c.New += o.New
	c.Duplicate += o.Duplicate
	c.Collisions += o.Collisions
	c.Skipped += o.Skipped
	c.Warnings += o.Warnings
}
