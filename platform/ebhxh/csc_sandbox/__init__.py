"""A remote-signing service speaking CSC API v2, for development and tests (`ebhxh csc-sandbox`)."""
