/**
 * RFC 8879 test data made by the reference zstd CLI (v1.5.4): the TLS 1.3 Certificate body of
 * [rsaCertPem, caPem] from certs.ts (empty context, no entry extensions), compressed with
 * `zstd -19` (one frame, content size and checksum present). Test data.
 */
export const zstdChainBase64 =
  'KLUv/WRsA60bAEQxAAAEaAACtzCCArNZoAMCAQICFACnsOEiviuwFARohljQN/dRlTDKMAoGCCqGSM49BAMCMB4xHD' +
  'AaBgNVBAMME3dlYnRscyB1bml0IHRlc3QgQ0EwIBcNMjYxMjAzMTcwNTA3WhgPMjExMDkwFDESMBAJbG9jYWxob3N0' +
  'MIIBIjANBgmG9w0BAQEFAAOCAQ8ACgKCAQEA0fY5oMz4WLWxKugutzLqHxeJpZefdn9LMQ7sJV6PINExz9nXnWONJw' +
  'EoUkuRm6XTSYCiCfG2mikugZiSD1Rc0pfVclltd2xYvIkvubkTsRW45oXf6KzGKbZw0JL/AsfMI/XTEnpaYuFOTKBn' +
  '1WUJ9u2cccpN/OLLGXtAUGBxTYCcPs5RchunhYXOhgmyQWfvpRYM6RDsVBlKQp/3OBpuRZVkut3povNL61mrHWTSGp' +
  'bRHvbipqTb3WrW8k0Zd9/bQahSlICODOZJ+BRcX7uqyQWC9b8z1BsQ73jfcRR3Nh6sxCtq8DaLnxogkk8/zsobQIhz' +
  '+Vx42RD+Se4IhwndHwIDAQABo4GxMIGuMAkdEwQCMAAwPBEENTAzgoIOKi5leGFtcGxlLocEfwAAAYcQAAEwEyUEDC' +
  'sGAQUFBwMBMA4PAQH/BAQDAgeAMB0OBBYEFE2UNbwcIS84CVTQDv4q10a9xrUjMB8jBBgwFoAUGZSJ/eS07C+NNLvJ' +
  'IOiClGjXJUkDSAAwRQIgSOqNZPkGZKEfK3qfRpjYMQOU9Od52q9EjPED/4EC0f0CIQCgS+uwQXrKsWRlDzamVZ+Ye/' +
  'PDJ8exWzzHOGzdnmL/oKcwggGjSVV4d0C1IX4zboUu2csvZSHACV1PNlkHAgEDAQcDQgAEYT2eqTvSIcEicelYTP18' +
  'Ok2QlGdr2yUhoWRSABwoInxlM0rz/VzQ/UHDgjS5ln2c7i9tYW0leirw+06JfKWLBqNjMGEPBTADAQYHjCEEMWJw1A' +
  'Uu9mx9LADp0jQRd4+ppM+7nxayQV9DNaojPeLQwe4IRiGyVMti4Om73gT3qqd1J/kAQJRRcGqtAAAkIFDEGBMTPgB4' +
  'ryf4PnJQMN4L4KHrHKMtBYtjt+HPNtuK1YErOkFbofIFSP4l2X2CKkIG5yCb8ULDQ6O49XLYCM4aKGcTlqAQimO5ia' +
  'CBaQl8K0AoMKAz15EBIoB7AUehZOk=';
