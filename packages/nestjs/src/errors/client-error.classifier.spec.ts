import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, HttpStatus, InternalServerErrorException, NotFoundException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { CircuitOpenError, TimeoutError } from '@bulwark/core';
import { isClientError as exported } from '../index.js';
import { isClientError, isDependencyFailure, isRetryable } from './client-error.classifier.js';

/** Stands in for `@nestjs/websockets`' WsException (not installed here): recognised by its class name. */
class WsException extends Error {}
class GameOverException extends WsException {}

describe('isClientError', () => {
  it('is true for an HttpException below 500 and for RpcException / WsException, their subclasses included', () => {
    expect(isClientError(new NotFoundException())).toBe(true);
    expect(isClientError(new BadRequestException('bad'))).toBe(true);
    expect(isClientError(new HttpException('teapot', HttpStatus.I_AM_A_TEAPOT))).toBe(true);
    expect(isClientError(new RpcException('no such order'))).toBe(true);
    expect(isClientError(new (class OrderRejected extends RpcException {})('rejected'))).toBe(true);
    expect(isClientError(new WsException())).toBe(true);
    expect(isClientError(new GameOverException())).toBe(true);
  });

  it('is false for server errors, resilience errors and anything else', () => {
    expect(isClientError(new InternalServerErrorException())).toBe(false);
    expect(isClientError(new HttpException('unavailable', HttpStatus.SERVICE_UNAVAILABLE))).toBe(false);
    expect(isClientError(new TimeoutError('pricing', 10))).toBe(false);
    expect(isClientError(new CircuitOpenError('pricing', 1_000))).toBe(false);
    expect(isClientError(new Error('boom'))).toBe(false);
    expect(isClientError(Object.create(null))).toBe(false);
    expect(isClientError('a string')).toBe(false);
    expect(isClientError(undefined)).toBe(false);
  });

  it('never throws, even when getStatus does', () => {
    const broken = new NotFoundException();
    broken.getStatus = () => {
      throw new Error('no status');
    };
    expect(isClientError(broken)).toBe(false);
  });

  it('is exported, for an isFailure or retryOn of the application to build on', () => {
    expect(exported).toBe(isClientError);
  });

  it('gives the defaults of isFailure and retryOn', () => {
    expect([isDependencyFailure(new NotFoundException()), isDependencyFailure(new Error('down'))]).toEqual([false, true]);
    expect([isRetryable(new NotFoundException()), isRetryable(new Error('down'))]).toEqual([false, true]);
  });
});
