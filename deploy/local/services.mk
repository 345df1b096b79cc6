# Makefile fragment for the real Kafka broker and the Elasticsearch and
# OpenSearch nodes of deploy/local. Include it from the top-level Makefile:
#
#   include deploy/local/services.mk
#
# ENGINE picks the search engines: both (default), es or opensearch.
# SERVICES_TEST_ENV holds the variables that make the integration tests run
# against these services instead of skipping, for example:
#
#   test: services-up
#   	$(SERVICES_TEST_ENV) go test ./...

SERVICES_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
SERVICES_SH := bash $(SERVICES_DIR)/services.sh

ENGINE ?= both
SERVICES_ENGINES := $(if $(filter es elasticsearch,$(ENGINE)),es,$(if $(filter opensearch,$(ENGINE)),opensearch,es opensearch))

SERVICES_TEST_ENV := NEWSWIRE_TEST_KAFKA=127.0.0.1:$(or $(NEWSWIRE_KAFKA_PORT),9092) \
	$(if $(filter es,$(SERVICES_ENGINES)),NEWSWIRE_TEST_ES=http://127.0.0.1:$(or $(NEWSWIRE_ES_PORT),9200)) \
	$(if $(filter opensearch,$(SERVICES_ENGINES)),NEWSWIRE_TEST_OPENSEARCH=http://127.0.0.1:$(or $(NEWSWIRE_OPENSEARCH_PORT),9201))

.PHONY: services-up services-down

services-up: ## start real Kafka (:9092), Elasticsearch (:9200) and OpenSearch (:9201) for tests (ENGINE=es|opensearch for one engine); no-op if running
	@$(SERVICES_SH) up kafka $(SERVICES_ENGINES)

services-down: ## stop the services started by services-up and delete their data
	@$(SERVICES_SH) down kafka $(SERVICES_ENGINES)
