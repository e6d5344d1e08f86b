# The toolkit's own image, FROM lambdabox's python3.11 base, for CI systems that run the
# builder in a container. No registry is needed: build the base and the wheels first.
#   lambdabox base build python3.11 --load            # -> lambdabox/base:python3.11
#   python -m pip wheel . -w dist/wheels              # lambdabox and its dependencies
#   DOCKER_BUILDKIT=1 docker build --network host -t lambdabox:latest .
#   docker run --rm lambdabox:latest --help
ARG BASE=lambdabox/base:python3.11
FROM ${BASE}
COPY dist/wheels /tmp/wheels
RUN python3 -m pip install --no-index --find-links /tmp/wheels lambdabox \
    && rm -rf /tmp/wheels /root/.cache
USER 993:993
WORKDIR /work
ENTRYPOINT ["lambdabox"]
CMD ["--help"]
