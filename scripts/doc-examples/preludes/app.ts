// Prelude `app`: the application code examples talk about without showing it. Declared only
// (never run): an example marked `run` defines what it uses.
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { HttpService } from '@nestjs/axios';

interface Order {
  id: string;
  total: number;
}
interface Quote {
  sku: string;
  price: number;
  degraded?: boolean;
}
interface Product {
  id: string;
  name: string;
}
declare const url: string;
declare const sku: string;
declare const tenantId: string;
declare const http: HttpService;
declare class OpsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean;
}
declare class HttpError extends Error {
  status: number;
}
declare class DbError extends Error {}
