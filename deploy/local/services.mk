# Makefile fragment for the real Kafka broker and Elasticsearch node of
# deploy/local. Include it from the top-level Makefile:
#
#   include deploy/local/services.mk
#
# SERVICES_TEST_ENV holds the variables that make the integration tests run
# against these services instead of skipping, for example:
#
#   test: services-up
#   	$(SERVICES_TEST_ENV) go test ./...

SERVICES_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
SERVICES_SH := bash $(SERVICES_DIR)/services.sh

SERVICES_TEST_ENV := NEWSWIRE_TEST_KAFKA=127.0.0.1:$(or $(NEWSWIRE_KAFKA_PORT),9092) \
	NEWSWIRE_TEST_ES=http://127.0.0.1:$(or $(NEWSWIRE_ES_PORT),9200)

.PHONY: services-up services-down

services-up: ## start real Kafka (127.0.0.1:9092) and Elasticsearch (127.0.0.1:9200) for tests; no-op if running
	@$(SERVICES_SH) up

services-down: ## stop the services started by services-up and delete their data
	@$(SERVICES_SH) down
