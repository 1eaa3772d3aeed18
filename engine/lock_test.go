package engine

import "testing"

// TestInstallIsNotStarvedByReaders: an install that finds a reader in
// flight stops new readers after a while (the blocking way), so readers
// that never leave a moment without one cannot hold a write back forever.
// If lock never gave up trying for such a moment, TryRLock would go on
// succeeding and the test would not end.
func TestInstallIsNotStarvedByReaders(t *testing.T) {
	s := newIndexStore()
	s.rlock() // a reader in flight throughout
	locked := make(chan struct{})
	go func() {
		s.lock()
		close(locked)
		s.mu.Unlock()
	}()
	for s.mu.TryRLock() { // new readers get in until the install gives up
		s.mu.RUnlock()
	}
	select {
	case <-locked:
		t.Fatal("the install took the write lock while a reader held the read lock")
	default:
	}
	s.mu.RUnlock()
	<-locked
	s.rlock() // and readers get in again once it is done
	s.mu.RUnlock()
}
