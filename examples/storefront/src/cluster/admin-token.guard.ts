import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';

/** Lets the admin routes through for requests carrying `x-admin-token: <token>`. */
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = Buffer.from(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const given = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['x-admin-token'];
    if (typeof given !== 'string') return false;
    const actual = Buffer.from(given);
    return actual.length === this.expected.length && timingSafeEqual(actual, this.expected);
  }
}
