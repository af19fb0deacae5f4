# The Jena portal's two commands are `make portal` and `make test`; see README.md.
PYTHON ?= python3
CKAN_VERSION ?= 2.12
STACK = $(PYTHON) -m stack --ckan-version $(CKAN_VERSION)

.PHONY: portal test stop status bench ckan lock

portal:
	$(STACK) portal

test:
	$(STACK) test $(PYTEST_ARGS)

stop:
	$(STACK) stop

status:
	$(STACK) status

bench:
	$(PYTHON) -m bench --ckan-version $(CKAN_VERSION) $(BENCH_ARGS)

ckan:
	$(STACK) ckan $(ARGS)

lock:
	$(STACK) lock
