# OPAD — the human entry points. Every target runs on the Node 24 that `npm ci` installs
# (the `node` dev dependency), whatever `node` the machine has.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help install dev test typecheck lint bench e2e images kind-up kind-down tilt-up helm-lint helm-template clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

node_modules/.opad-installed: package.json package-lock.json $(wildcard */package.json)
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.opad-installed ## install dependencies (npm ci; Node 24 comes with them)

dev: install ## run api, worker and web on embedded defaults (embedded Postgres, local Redis, files, offline generator)
	npm run --silent dev

test: install ## type-check and run every test: unit, integration (real Postgres/Redis/S3), charts, browser e2e
	npm test

typecheck: install ## strict TypeScript over every workspace
	npm run typecheck

lint: typecheck ## static checks (types, charts)
	bash scripts/helm-lint.sh

bench: install ## benchmarks: figures beside their baselines (see docs/BENCHMARKS.md)
	npm run bench

images: ## build the service images (needs a Docker engine)
	bash scripts/images.sh

kind-up: ## create the kind cluster with its local registry and dev dependencies
	bash scripts/kind-up.sh

kind-down: ## delete the kind cluster
	bash scripts/kind-down.sh

tilt-up: ## the live-update loop on kind
	tilt up

helm-lint: install ## helm lint --strict every chart
	bash scripts/helm-lint.sh

helm-template: install ## render every chart with its value sets
	bash scripts/helm-template.sh

clean: ## remove local state (.opad: embedded Postgres data, Redis AOF, stored objects)
	rm -rf .opad
