# syntax=docker/dockerfile:1
# runbookd: multi-stage build. Config and rules are mounted as volumes; state goes to /var/lib/runbookd;
# the shipped config reads the webhook token and the operator password from /run/secrets (README.md
# "First deploy in shadow mode").
#   docker build -t runbookd .
#   docker run -p 9095:9095 -v $PWD/runbookd.yaml:/etc/runbookd/runbookd.yaml:ro \
#     -v $PWD/rules:/etc/runbookd/rules:ro -v $PWD/secrets:/run/secrets:ro -v runbookd-data:/var/lib/runbookd runbookd
#
# Base images are fully qualified (a daemonless builder such as buildah or kaniko has no default registry)
# and pinned to a patch release. Pin them to a digest as well once it is verified against the registry:
#   docker buildx imagetools inspect docker.io/library/maven:3.9.9-eclipse-temurin-17
#   docker build --build-arg BUILD_IMAGE=docker.io/library/maven:3.9.9-eclipse-temurin-17@sha256:<digest> ...
ARG BUILD_IMAGE=docker.io/library/maven:3.9.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=docker.io/library/eclipse-temurin:17.0.13_11-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src ./src
RUN mvn -B -ntp -q -DskipTests package && cp target/runbookd.jar /runbookd.jar

FROM ${RUNTIME_IMAGE}
RUN groupadd --system --gid 10001 runbookd \
 && useradd --system --uid 10001 --gid runbookd --home-dir /var/lib/runbookd --shell /usr/sbin/nologin runbookd \
 && mkdir -p /etc/runbookd/rules /var/lib/runbookd \
 && chown -R runbookd:runbookd /var/lib/runbookd
COPY --from=build /runbookd.jar /opt/runbookd/runbookd.jar
COPY rules/ /etc/runbookd/rules/
COPY runbookd.yaml /etc/runbookd/runbookd.yaml
# The image's default config keeps its state in the data volume.
RUN sed -i 's#data_dir: ./data#data_dir: /var/lib/runbookd#' /etc/runbookd/runbookd.yaml
USER 10001:10001
WORKDIR /var/lib/runbookd
VOLUME ["/etc/runbookd", "/var/lib/runbookd"]
EXPOSE 9095
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
# Asks the daemon on the port and with the TLS of its own config (HTTPS trusting server.tls.cert_file).
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["java", "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", "/opt/runbookd/runbookd.jar", \
       "healthcheck", "--config", "/etc/runbookd/runbookd.yaml", "--timeout", "5s"]
ENTRYPOINT ["java", "-jar", "/opt/runbookd/runbookd.jar"]
CMD ["run", "--config", "/etc/runbookd/runbookd.yaml"]
