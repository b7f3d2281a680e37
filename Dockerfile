# syntax=docker/dockerfile:1
# runbookd: multi-stage build. Config and rules are mounted as volumes; state goes to /var/lib/runbookd.
#   docker build -t runbookd .
#   docker run -p 9095:9095 -v $PWD/runbookd.yaml:/etc/runbookd/runbookd.yaml:ro \
#     -v $PWD/rules:/etc/runbookd/rules:ro -v runbookd-data:/var/lib/runbookd runbookd

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src ./src
RUN mvn -B -ntp -q -DskipTests package && cp target/runbookd.jar /runbookd.jar

FROM eclipse-temurin:17-jre
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
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9095 && printf 'GET /-/healthy HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-jar", "/opt/runbookd/runbookd.jar"]
CMD ["run", "--config", "/etc/runbookd/runbookd.yaml"]
