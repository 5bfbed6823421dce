package testimage

import (
	"io"
	"log"
	"os"
	"syscall"
)

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// inode returns the inode number and link count of a file, for hard-link detection.
func inode(info os.FileInfo) (uint64, uint64) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Ino, uint64(st.Nlink)
	}
	return 0, 1
}
