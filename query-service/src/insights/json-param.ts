import { z } from 'zod'

/**
 * A structured parameter that the GET form carries as JSON text
 * (`conversion={"event":"purchase"}`) and the query endpoint as a JSON value. Text that is not
 * JSON is passed on unchanged, so the schema's own error names the parameter.
 */
export function jsonParam<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value
    try {
      return JSON.parse(value)
    } catch {
      return value
    }
  }, schema)
}

/** A list of names: a JSON array, or comma-separated text in the GET form (`models=linear,last_touch`). */
export function listParam<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value
    if (value.startsWith('[')) {
      try {
        return JSON.parse(value)
      } catch {
        return value
      }
    }
    return value.split(',').filter((v) => v !== '')
  }, schema)
}
