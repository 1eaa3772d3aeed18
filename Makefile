# Sentinel — common tasks. `make run` starts the server on the embedded
# SQLite default; `make test` runs every test (needs PostgreSQL and Redis at
# 127.0.0.1, see .ci/run).
GO      ?= go
BIN     := bin/sentinel
PKGS    := ./...
BENCH   ?= .
COUNT   ?= 6

.PHONY: build run test test-short bench lint fmt

build:
	$(GO) build -o $(BIN) ./cmd/sentinel
	$(GO) build -o bin/plugins/ ./plugins/oidc ./plugins/google ./plugins/entra ./plugins/github

run: build
	./$(BIN) serve --log-format text

test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

test-short:
	$(GO) test -count=1 -short $(PKGS)

bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) -timeout 60m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
