@_exported import SwitchboardCore
@_exported import SwitchboardHTTP
