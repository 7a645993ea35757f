# Your own make targets. The generated Makefile includes this file last (`-include local.mk`),
# so it survives `shipspec generate` and can use $(IMAGE) and $(TAG). For example:

.PHONY: run
run:  ## run the image on http://localhost:8080
	docker run --rm --publish 8080:8080 "$(IMAGE):$(TAG)"
