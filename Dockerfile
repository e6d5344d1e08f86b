# The toolkit's own image. Issue 4 rebases it FROM lambdabox's python3.11 base image;
# until that base exists, this builds from a locally available Python image, e.g.
#   DOCKER_BUILDKIT=1 docker build --network host --build-arg BASE=<python-image> -t lambdabox .
ARG BASE
FROM ${BASE}
WORKDIR /opt/lambdabox
COPY pyproject.toml README.md ./
COPY runtime_interface ./runtime_interface
COPY lambdabox ./lambdabox
COPY builder ./builder
RUN python3 -m pip install --no-cache-dir . && useradd --system --uid 993 lambdabox
USER lambdabox
ENTRYPOINT ["lambdabox"]
