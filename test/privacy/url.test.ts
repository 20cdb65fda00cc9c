import { describe, expect, it } from 'vitest';
import { looksLikeEmail, looksLikePhone, redactUrl } from '../../src/privacy/url.js';

describe('redactUrl', () => {
  it.each<[string, string | undefined, string[]]>([
    ['https://shop.example/p?q=boots&page=2', 'https://shop.example/p?q=boots&page=2', []],
    ['https://shop.example/?email=a%40b.co&q=shoes', 'https://shop.example/?q=shoes', ['privacy.url_param_removed:email']],
    ['https://shop.example/?EMAIL=x&First_Name=Jane&q=1', 'https://shop.example/?q=1', ['privacy.url_param_removed:email', 'privacy.url_param_removed:first_name']],
    ['https://shop.example/?token=abc', 'https://shop.example/', ['privacy.url_param_removed:token']],
    ['https://shop.example/?contact=jane%40example.com&x=1', 'https://shop.example/?x=1', ['privacy.url_value_email']],
    ['https://shop.example/?ref=jane@example.com', 'https://shop.example/', ['privacy.url_value_email']],
    ['https://shop.example/?cb=%2B49%2030%20123456&x=1', 'https://shop.example/?x=1', ['privacy.url_value_phone']],
    ['https://shop.example/?cb=(650)%20555-1212', 'https://shop.example/', ['privacy.url_value_phone']],
    ['https://shop.example/?order=1234567890&t=1700000000000', 'https://shop.example/?order=1234567890&t=1700000000000', []],
    ['https://shop.example/?d=2024-01-15&ip=192.168.100.200', 'https://shop.example/?d=2024-01-15&ip=192.168.100.200', []],
    ['https://shop.example/#/confirm?email=a@b.co&step=3', 'https://shop.example/#/confirm?step=3', ['privacy.url_param_removed:email']],
    ['https://shop.example/#phone=123&tab=2', 'https://shop.example/#tab=2', ['privacy.url_param_removed:phone']],
    ['https://shop.example/#jane@example.com', 'https://shop.example/', ['privacy.url_value_email']],
    ['https://shop.example/#section-2', 'https://shop.example/#section-2', []],
    ['https://user:pw@shop.example/', 'https://shop.example/', ['privacy.url_credentials_removed']],
    ['https://shop.example/u/jane%40example.com/orders', 'https://shop.example/u/%5Bredacted%5D/orders', ['privacy.url_path_email']],
    ['https://shop.example/?jane%40example.com=1&a=b', 'https://shop.example/?a=b', ['privacy.url_value_email']],
    ['https://shop.example/?a=%E0%A4%A', 'https://shop.example/?a=%E0%A4%A', []],
  ])('%s', (url, expected, reasons) => {
    expect(redactUrl(url)).toEqual({ url: expected, reasons });
  });

  it('mask mode keeps names and replaces values', () => {
    expect(redactUrl('https://shop.example/?email=a@b.co&q=1&c=jane@example.com', { mode: 'mask' })).toEqual({
      url: 'https://shop.example/?email=[redacted]&q=1&c=[redacted]',
      reasons: ['privacy.url_param_masked:email', 'privacy.url_value_email'],
    });
  });

  it('adds configured names to the defaults, case-insensitively', () => {
    expect(redactUrl('https://shop.example/?Customer=7&email=x&q=1', { params: ['customer'] })).toEqual({
      url: 'https://shop.example/?q=1',
      reasons: ['privacy.url_param_removed:customer', 'privacy.url_param_removed:email'],
    });
  });

  it.each(['not a url', '/relative/path?email=a@b.co', 'http://', 'https://exa mple.com/'])('drops malformed %j without throwing', (url) => {
    expect(redactUrl(url)).toEqual({ url: undefined, reasons: ['privacy.url_invalid'] });
  });

  it('leaves an absent URL absent', () => {
    expect(redactUrl(undefined)).toEqual({ url: undefined, reasons: [] });
  });
});

describe('value detectors', () => {
  it.each([
    ['jane@example.com', true],
    ['contact: Jane.Doe+x@mail.example.co.uk today', true],
    ['@handle', false],
    ['a@b', false],
  ])('looksLikeEmail(%j) = %s', (v, expected) => {
    expect(looksLikeEmail(v)).toBe(expected);
  });

  it.each([
    ['+1 650 555 1212', true],
    ['0049 30 1234567', true],
    ['(650) 555-1212', true],
    ['650.555.1212', true],
    ['6505551212', false],
    ['1700000000000', false],
    ['2024-01-15', false],
    ['10.0.0.1', false],
    ['+123', false],
    ['12-34', false],
  ])('looksLikePhone(%j) = %s', (v, expected) => {
    expect(looksLikePhone(v)).toBe(expected);
  });
});
