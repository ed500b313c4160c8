// Uploadcare's documented link-upload errors (the Upload API's error catalogue) as Hoist's codes.
import { HttpError } from '../errors.js'
import { type ProviderApi, providerMessage } from './api.js'

/** error_code → [Hoist's code, the catalogue's message, by which a status answer without a code is known]. */
const LINK_ERRORS: Record<string, [string, string]> = {
  DownloadFileError: ['url_unreachable', 'Failed to download the file.'],
  DownloadFileHTTPClientError: ['url_unreachable', 'HTTP client error: %s.'],
  DownloadFileHTTPNetworkError: ['url_unreachable', 'HTTP network error: %s.'],
  DownloadFileHTTPServerError: ['url_unreachable', 'HTTP server error: %s.'],
  DownloadFileHTTPURLValidationError: ['url_forbidden', 'HTTP URL validation error: %s.'],
  DownloadFileNotFoundError: ['url_unreachable', 'downloaded file not found.'],
  DownloadFileSizeLimitExceededError: ['url_too_large', 'Downloaded file is too big: %s > %s.'],
  DownloadFileTaskFailedError: ['url_unreachable', 'download task failed.'],
  DownloadFileTimeLimitExceededError: ['url_timeout', 'Failed to download the file within the allotted time limit of %s seconds.'],
  DownloadFileValidationFailedError: ['provider_rejected', 'File validation error: %s'],
  FileTypeForbiddenError: ['type_not_allowed', 'Uploading of these file types is not allowed.'],
  FileSizeLimitExceededError: ['url_too_large', 'File is too large.'],
  HostnameNotFoundError: ['url_unreachable', 'Host does not exist.'],
  URLBlacklistedError: ['url_forbidden', 'Source is blacklisted.'],
  URLHostMalformedError: ['invalid_url', 'URL host is malformed.'],
  URLHostPrivateIPForbiddenError: ['url_forbidden', 'Only public IPs are allowed.'],
  URLHostRequiredError: ['invalid_url', 'No URL host supplied.'],
  URLParsingFailedError: ['invalid_url', 'Failed to parse URL.'],
  URLRedirectsLimitExceededError: ['url_forbidden', 'Too many redirects.'],
  URLSchemeInvalidError: ['invalid_url', 'Invalid URL scheme.'],
  URLSchemeRequiredError: ['invalid_url', 'No URL scheme supplied.'],
  URLValidationError: ['invalid_url', 'Failed to validate URL.'],
  SourceURLRequiredError: ['invalid_url', 'source_url is required.'],
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const PATTERNS = Object.values(LINK_ERRORS).map(([code, template]) => [code, new RegExp(`^${template.split('%s').map(escape).join('.*')}$`, 's')] as const)

/** Hoist's code for a failed link fetch: by Uploadcare's error_code where it gives one, else by its message. */
export function linkErrorCode(errorCode: unknown, message: string): string {
  if (typeof errorCode === 'string' && LINK_ERRORS[errorCode]) return LINK_ERRORS[errorCode][0]
  return PATTERNS.find(([, re]) => re.test(message))?.[0] ?? 'provider_rejected'
}

/** A /from_url/ refusal the catalogue names (a link Uploadcare will not fetch) as a specific 400. */
export function linkRefusal(api: ProviderApi, status: number, body: unknown): HttpError | undefined {
  const code = (body as { error?: { error_code?: unknown } } | undefined)?.error?.error_code
  if (typeof code !== 'string' || !LINK_ERRORS[code] || status >= 500) return undefined
  return new HttpError(400, LINK_ERRORS[code][0], `Uploadcare refused the link: ${api.redact(providerMessage(body) ?? code)}`)
}
