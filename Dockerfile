# Dockerfile — bin/alertfilter in a debian:bookworm-slim image with only its
# shared libraries; built in a full bookworm stage with the -dev packages.

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev make pkg-config \
        librdkafka-dev libconfig-dev libmicrohttpd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" && strip bin/alertfilter && bin/alertfilter --version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libconfig9 libmicrohttpd12 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin alertfilter
COPY --from=build /src/bin/alertfilter /usr/local/bin/alertfilter
COPY etc/ /etc/alertfilter/
USER alertfilter
# The metrics port of etc/alertfilter.cfg (metrics = { port = 9464; }).
ENV ALERTFILTER_METRICS_PORT=9464
EXPOSE 9464
# bash's /dev/tcp instead of curl: bash, head and grep are already in the slim
# image (Essential packages), so the check adds no package and no attack surface.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${ALERTFILTER_METRICS_PORT} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["alertfilter"]
CMD ["run", "-c", "/etc/alertfilter/alertfilter.cfg"]
