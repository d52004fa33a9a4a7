@_exported import SwitchboardCore
@_exported import SwitchboardDatabase
@_exported import SwitchboardHTTP
@_exported import SwitchboardLanguage
@_exported import SwitchboardStorage
