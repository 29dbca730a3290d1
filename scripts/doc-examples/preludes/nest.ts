// Prelude `nest`: the imports most Nest examples of the documentation use. An example that shows
// one of these imports (or declares one of these names) keeps its own; the rest come from here.
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Logger,
  Module,
  NotFoundException,
  Param,
  Post,
  Query,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Observable, map } from 'rxjs';
import {
  Bulkhead,
  BulkheadFullError,
  BulkheadRegistry,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  FakeClock,
  Fallback,
  FallbackRegistry,
  ResilienceEventBus,
  ResilienceHealthIndicator,
  ResilienceModule,
  Retry,
  RetryRegistry,
  SkipResilience,
  Timeout,
  TimeoutError,
  TimeoutRegistry,
  currentSignal,
  isClientError,
} from '@bulwark/nestjs';
