package io.runbookd.config;

/** runbookd.yaml is invalid; the message names the file, the position when known, and the reason. */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
