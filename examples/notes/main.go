// Command notes is a small notes API protected by Sentinel through the Go
// SDK: every request carries a Sentinel authz token (verified offline),
// and who may read, edit, delete or share a note is asked of Sentinel.
// See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

func main() {
	if err := run(); err != nil {
		slog.Error("notes", "err", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sentinelURL := env("SENTINEL_URL", "http://127.0.0.1:9003")
	key := os.Getenv("SENTINEL_SERVICE_KEY")
	service := env("NOTES_SERVICE", "notes")
	addr := env("NOTES_ADDR", "127.0.0.1:8080")
	if key == "" {
		return errors.New("set SENTINEL_SERVICE_KEY to the notes service's key (sk_…)")
	}
	client, err := sentinel.New(sentinelURL, key)
	if err != nil {
		return err
	}
	verifier, err := sentinel.NewVerifier(ctx, sentinelURL, sentinel.VerifierOptions{
		IdPIssuer: os.Getenv("NOTES_IDP_ISSUER"), IdPClientID: os.Getenv("NOTES_IDP_CLIENT_ID"),
	})
	if err != nil {
		return err
	}
	if err := ensureModel(ctx, client); err != nil {
		return err
	}
	a := &app{client: client, notes: map[string]note{}}
	srv := &http.Server{
		Addr: addr,
		Handler: a.handler(verifier, sentinel.AuthOptions{
			Service: service, RequirePair: os.Getenv("NOTES_IDP_ISSUER") != "",
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("notes listening", "addr", addr, "sentinel", sentinelURL, "service", service)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
